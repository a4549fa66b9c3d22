export async function freezerView(root) { root.append(document.createTextNode('freezer')); }
