import { benchPythonStore } from "./store.ts";
const s = await benchPythonStore({ rebuild: false, progress: console.error });
console.log(s.store.root);
