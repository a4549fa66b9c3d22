export async function auditView(root) { root.append(document.createTextNode('audit')); }
