/**
 * The web view in a real browser: Debian's chromium (`/usr/bin/chromium`, installed by `.ci/run`)
 * driven by playwright-core, against a real broker with real agents. With RELAY_UI_SCREENSHOTS=1
 * the main views are saved under docs/img/.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { FIXTURES, REPO, TestBroker, waitUntil, type EventLog } from '../../e2e/harness.js'
import { SCREENS } from '../../pty/profiles/screens.js'

const CHROMIUM = '/usr/bin/chromium'
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync'
]
const SCREENSHOTS = process.env.RELAY_UI_SCREENSHOTS === '1'
const UI_WAIT_MS = 20_000
/** The echo fixture as `node` + args, so the page's CLI column shows `node` (no machine path in screenshots). */
const ECHO = { cli: 'node', args: [join(FIXTURES, 'echo-cli.mjs')] }

function fixtureLines(path: string): { agent: string; line: string }[] {
  if (!existsSync(path)) return []
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { agent: string; line: string })
}

async function shot(page: Page, name: string): Promise<void> {
  if (!SCREENSHOTS) return
  mkdirSync(join(REPO, 'docs/img'), { recursive: true })
  await page.screenshot({ path: join(REPO, 'docs/img', name) })
}

function withoutTrailingBlankRows(rows: string[]): string[] {
  const out = rows.map((r) => r.trimEnd())
  while (out.length > 0 && out.at(-1) === '') out.pop()
  return out
}

/** The rows of the page's xterm as text (blanks at the ends cut). */
async function terminalRows(page: Page): Promise<string[]> {
  return withoutTrailingBlankRows(await page.$$eval('#term .xterm-rows > div', (rows) => rows.map((r) => (r.textContent ?? '').replace(/\u00a0/g, ' '))))
}

/** Waits until the page's terminal shows `text`. */
async function terminalShows(page: Page, text: string): Promise<void> {
  await page.waitForFunction(
    (t) => (((globalThis as any).document.querySelector('#term .xterm-rows')?.textContent as string | undefined) ?? '').replace(/\u00a0/g, ' ').includes(t),
    text,
    { timeout: UI_WAIT_MS }
  )
}

describe('web view (chromium)', () => {
  let broker: TestBroker
  let events: EventLog
  let context: BrowserContext
  let fixtureLog: string
  const requested: string[] = []

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium (see README)`)
    const dir = mkdtempSync(join(tmpdir(), 'relay-ui-'))
    fixtureLog = join(dir, 'fixture.log')
    broker = await new TestBroker({ env: { FIXTURE_LOG: fixtureLog } }).ready()
    events = broker.events()
    await events.opened
    await broker.spawnAgent('alpha', ECHO.cli, { args: ECHO.args })
    await events.waitKind('worker_ready', 'alpha')
    context = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1400, height: 900 }
    })
    context.on('request', (r) => requested.push(r.url()))
    context.on('page', (p) => p.on('websocket', (ws) => requested.push(ws.url())))
  })

  after(async () => {
    await context?.close()
    events?.close()
    await broker?.stop()
  })

  test('agents appear live: one spawned after the page opened shows up without a reload', async () => {
    const page = await context.newPage()
    let navigations = 0
    page.on('framenavigated', (f) => {
      if (f === page.mainFrame()) navigations++
    })
    await page.goto(`${broker.url}/ui/#key=${encodeURIComponent(broker.apiKey)}`)
    await page.waitForSelector('tr[data-agent="alpha"]', { timeout: UI_WAIT_MS })
    assert.equal(await page.textContent('#role'), 'admin')
    await broker.spawnAgent('beta', ECHO.cli, { args: ECHO.args })
    await page.waitForSelector('tr[data-agent="beta"] .state-ready, tr[data-agent="beta"] .state-busy', { timeout: UI_WAIT_MS })
    assert.equal(navigations, 1, 'no reload')
    await page.close()
  })

  test('a message sent through the API appears with its stages, and the terminal shows the agent screen', async () => {
    const page = await context.newPage()
    await page.goto(`${broker.url}/ui/#key=${encodeURIComponent(broker.apiKey)}`)
    await page.waitForSelector('tr[data-agent="alpha"]', { timeout: UI_WAIT_MS })
    const sent = await broker.api('POST', '/api/send', { to: 'alpha', text: 'hello from the API' })
    const id = sent.body.deliveries[0].delivery_id as string
    await page.waitForSelector(`.delivery[data-delivery="${id}"] .stage-verified`, { timeout: UI_WAIT_MS })
    const stages = await page.$$eval(`.delivery[data-delivery="${id}"] .stage`, (s) => s.map((e) => (e.textContent ?? '').replace(/^→ /, '')))
    assert.deepEqual(stages, ['accepted', 'queued', 'injected', 'verified'])
    assert.match((await page.textContent(`.message[data-event="${sent.body.event_id}"] .body`)) ?? '', /hello from the API/)

    await page.click('tr[data-agent="alpha"]')
    await terminalShows(page, 'hello from the API')
    const snap = (await broker.api('GET', '/api/spawned/alpha/snapshot?format=plain')).body.screen as string
    assert.deepEqual(await terminalRows(page), withoutTrailingBlankRows(snap.split('\n')), 'the page terminal shows the agent screen')
    await shot(page, 'ui-main.png')
    await page.close()
  })

  test('a blocked agent shows blocked with the dialog text, live', async () => {
    // a recorded codex sign-in menu played in the PTY (as test/pty/profiles does): a login wall
    const dir = mkdtempSync(join(tmpdir(), 'relay-ui-codex-'))
    const bin = join(dir, 'codex')
    writeFileSync(bin, `#!/bin/sh\nSCREEN_SCENARIO=codex-login PLAY_LOG="${join(dir, 'play.log')}" exec "${process.execPath}" "${join(SCREENS, 'play.mjs')}" "$@"\n`)
    chmodSync(bin, 0o755)
    const page = await context.newPage()
    await page.goto(`${broker.url}/ui/#key=${encodeURIComponent(broker.apiKey)}`)
    await page.waitForSelector('tr[data-agent="alpha"]', { timeout: UI_WAIT_MS })
    await broker.spawnAgent('walled', bin, { cwd: dir })
    await broker.api('POST', '/api/resize/walled', { rows: 30, cols: 100 }) // the size the recording was made at
    const ev = await events.waitKind('agent_blocked', 'walled', UI_WAIT_MS)
    await page.waitForSelector('tr[data-agent="walled"] .state-blocked', { timeout: UI_WAIT_MS })
    assert.equal(await page.textContent('tr[data-agent="walled"] .blocked'), ev.reason)
    assert.match(String(ev.reason), /^login required: codex/)
    await broker.api('DELETE', '/api/spawned/walled')
    await page.waitForSelector('tr[data-agent="walled"]', { state: 'detached', timeout: UI_WAIT_MS })
    await page.close()
  })

  test('view never types; drive types into the agent through the input stream', async () => {
    const page = await context.newPage()
    await page.goto(`${broker.url}/ui/#key=${encodeURIComponent(broker.apiKey)}`)
    await page.click('tr[data-agent="alpha"]', { timeout: UI_WAIT_MS })
    await terminalShows(page, 'fixture ready')
    await page.click('#term')
    await page.keyboard.type('typed while viewing')
    await page.keyboard.press('Enter')
    await page.check('#drive-toggle')
    await page.waitForSelector('body[data-drive="alpha"]', { timeout: UI_WAIT_MS })
    await page.click('#term')
    await page.keyboard.type('driven from the browser')
    await page.keyboard.press('Enter')
    await waitUntil(() => fixtureLines(fixtureLog).some((l) => l.agent === 'alpha' && l.line === 'driven from the browser'), UI_WAIT_MS, 'the typed line in the agent log')
    await terminalShows(page, 'got: driven from the browser')
    assert.ok(!fixtureLines(fixtureLog).some((l) => l.line.includes('typed while viewing')), 'view mode typed nothing')
    await shot(page, 'ui-drive.png')
    await page.uncheck('#drive-toggle')
    await page.close()
  })

  test('no key or a wrong key: the login prompt and no data', async () => {
    const page = await context.newPage()
    const apiCalls: number[] = []
    page.on('response', (r) => {
      if (r.url().includes('/api/')) apiCalls.push(r.status())
    })
    await page.goto(`${broker.url}/ui/`)
    await page.waitForSelector('#login-key', { state: 'visible', timeout: UI_WAIT_MS })
    assert.deepEqual(apiCalls, [], 'no key: nothing is fetched')
    await page.fill('#login-key', 'br_wrong_key')
    await page.click('#login-form button')
    await page.waitForSelector('#login-error:has-text("refused")', { timeout: UI_WAIT_MS })
    assert.ok(apiCalls.length > 0 && apiCalls.every((s) => s === 401), `only refused calls: ${apiCalls.join(',')}`)
    assert.equal(await page.isVisible('#app'), false)
    assert.equal(await page.$$eval('#agents-body tr', (r) => r.length), 0)
    assert.ok(!(await page.content()).includes('alpha'), 'no agent name on the page')
    await shot(page, 'ui-login.png')
    await page.close()
  })

  test('an observer token opens the page read-only: it sees agents, cannot send, drive or release', async () => {
    const token = (await broker.api('POST', '/api/observer-token', {})).body.token as string
    const page = await context.newPage()
    await page.goto(`${broker.url}/ui/#key=${encodeURIComponent(token)}`)
    await page.waitForSelector('tr[data-agent="alpha"]', { timeout: UI_WAIT_MS })
    assert.equal(await page.textContent('#role'), 'read-only observer')
    assert.equal(await page.isDisabled('#send-form button'), true)
    assert.equal(await page.isDisabled('#drive-toggle'), true)
    assert.equal(await page.$$eval('[data-release]', (b) => b.length), 0)
    assert.equal(await page.isVisible('#spawn-form'), false)
    const tries = await page.evaluate(async (key) => {
      const send = await fetch('/api/send', { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' }, body: JSON.stringify({ to: 'alpha', text: 'observer was here' }) })
      const release = await fetch('/api/spawned/alpha', { method: 'DELETE', headers: { 'x-api-key': key } })
      return { send: send.status, code: ((await send.json()) as { code: string }).code, release: release.status }
    }, token)
    assert.deepEqual(tries, { send: 403, code: 'forbidden', release: 403 })
    // the live stream works for observers too: a message sent by the admin shows up
    const sent = await broker.api('POST', '/api/send', { to: 'alpha', text: 'seen by the observer' })
    await page.waitForSelector(`.delivery[data-delivery="${sent.body.deliveries[0].delivery_id}"] .stage-verified`, { timeout: UI_WAIT_MS })
    assert.ok(!fixtureLines(fixtureLog).some((l) => l.line.includes('observer was here')))
    await page.click('tr[data-agent="alpha"]')
    await terminalShows(page, 'seen by the observer')
    await shot(page, 'ui-observer.png')
    await page.close()
  })

  test('the key never travels in a URL', () => {
    assert.ok(requested.length > 0)
    for (const url of requested) {
      const sent = url.split('#')[0]! // a fragment never leaves the browser
      assert.ok(!sent.includes(broker.apiKey) && !/[?&]key=/.test(sent), url)
    }
  })
})
