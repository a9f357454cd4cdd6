// Types of the xterm module the broker serves at /ui/app/vendor/xterm.mjs (from the @xterm/xterm package; no bundler).
/// <reference path="../../../node_modules/@xterm/xterm/typings/xterm.d.ts" />
export * from '@xterm/xterm'
