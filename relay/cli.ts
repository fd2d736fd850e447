#!/usr/bin/env node
// relaycast's entry point: sets up the relay's V8 heap, then loads the
// program (cli-program.ts). It imports nothing else statically because Node
// parses and compiles a module's whole static import graph before running
// any of it, and compiling commander, pino, prom-client, ajv, yaml and uWS
// kept enough objects alive through their scavenges that V8 had grown the
// young generation to 2 x 4 MiB before the first line ran; V8 never shrinks
// it back, and under load those pages were touched and counted against the
// listeners (BENCHMARKS.md, "Where the front door's memory went"). Only
// `relay` gets the relay's heap settings (heap-tuning.ts): the load tool and
// the other commands keep V8's defaults.

import { tuneHeapForRelay } from './heap-tuning.js';

if (process.argv[2] === 'relay') tuneHeapForRelay();
await import('./cli-program.js');
