// The Baton console's design mode: build and change a definition on a canvas, with a palette, forms and the keyboard.
// Loaded before console.js, whose helpers (h, postJson…) it calls once the page runs; it only defines functions.
// Plain browser JavaScript, no build step, no dependencies.
"use strict";
