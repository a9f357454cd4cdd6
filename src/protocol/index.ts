export * from './constants.js'
export * from './errors.js'
export * from './frames.js'
export * from './codec.js'
export * from './channel.js'
export * from "./log.js"
export * from './safe-open.js'
