export async function dashboardView(root) { root.append(document.createTextNode('dashboard')); }
