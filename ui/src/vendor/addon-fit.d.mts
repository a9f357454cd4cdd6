// Types of the fit addon the broker serves at /ui/app/vendor/addon-fit.mjs (from @xterm/addon-fit).
/// <reference path="../../../node_modules/@xterm/addon-fit/typings/addon-fit.d.ts" />
export * from '@xterm/addon-fit'
