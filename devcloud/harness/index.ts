// The dev-stack harness: one gateway client, one in-process stack, one stack in a child process. Tests, chaos and
// crash runs and the bench start and drive stacks only through these.
export * from './gateway-client';
export * from './in-process';
export * from './child';
export * from './sim-child';
export * from './remote-simulator';
