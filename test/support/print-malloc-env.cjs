// Preloaded by test/docker.test.ts into a process bin/floe starts: prints the malloc settings it got.
process.stdout.write(
  JSON.stringify({ arenas: process.env.MALLOC_ARENA_MAX, mmapThreshold: process.env.MALLOC_MMAP_THRESHOLD_ }),
);
process.exit(0);
