// Loaded with `node --import` by benchmark/diagnostics-cost.mjs --instructions:
// a subscriber that does nothing on each channel moka-js publishes per operation.
import { subscribe } from 'node:diagnostics_channel'

for (const name of ['moka-js:hit', 'moka-js:miss', 'moka-js:eviction']) subscribe(name, () => {})
