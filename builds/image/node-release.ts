/**
 * The Node release images are built on: the newest LTS line, the one the
 * Dockerfile's NODE_VERSION names. A base made here (base.ts) installs this
 * exact release; CI also runs the project on it.
 */
export const IMAGE_NODE_RELEASE = "24.21.0";
