// The Baton console's pages across state machines: finding executions and acting on many, activities and workers.
// Loaded before console.js, whose helpers (h, getJson, aws…) it calls once the page runs; it only defines functions.
// Plain browser JavaScript, no build step, no dependencies.
"use strict";
