// The DNI widget entry point.
export {};
