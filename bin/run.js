#!/usr/bin/env node
// The dev path: run pulpo from its TypeScript sources under node (the release is dist/pulpo).
import { register } from 'tsx/esm/api'

register()
await import('../src/main.ts')
