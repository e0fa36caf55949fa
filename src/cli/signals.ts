/** Resolves on the first SIGINT or SIGTERM; `cancel` removes the handlers. */
export function untilSignal(): { promise: Promise<NodeJS.Signals>; cancel(): void } {
  let on!: (signal: NodeJS.Signals) => void;
  const cancel = (): void => {
    process.off('SIGINT', on);
    process.off('SIGTERM', on);
  };
  const promise = new Promise<NodeJS.Signals>((resolve) => {
    on = (signal) => {
      cancel();
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
  return { promise, cancel };
}
