/*
 * Service worker for /app/: keeps the app shell on the phone so that it opens
 * with no signal. The server fills in BUILD_ID (a hash of every app file) and
 * ASSETS (the file list) when it serves this file, so any change to the app makes
 * a new worker with a new cache and no list can drift.
 *
 * API calls are never answered from here: the outbox and the reference lists live
 * in IndexedDB, and a cached API answer could hide what the server really said.
 */
const BUILD_ID = '__BUILD_ID__';
const ASSETS = __ASSETS__;
const CACHE = `berjasa-app-${BUILD_ID}`;

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE)
    .then((cache) => cache.addAll(ASSETS.map((url) => new Request(url, { cache: 'reload' }))))
    .then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith('berjasa-app-') && k !== CACHE)
      .map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin
      || !url.pathname.startsWith('/app/')) {
    return; // API and everything else: straight to the network
  }
  if (event.request.mode === 'navigate') {
    // Any page inside /app/ is the one-page app.
    event.respondWith(caches.match('./', { ignoreSearch: true }).then((hit) => hit || fetch(event.request)));
    return;
  }
  event.respondWith(caches.match(event.request, { ignoreSearch: true })
    .then((hit) => hit || fetch(event.request)));
});

// Background Sync (Android Chrome): the app asks for a one-off 'outbox' sync after
// saving; the browser fires it when connectivity returns, even with the app closed.
// An open, visible app sends itself (and shows it) with the same idempotent :batch;
// with no visible window the module worker (sw_send.js, registered where Background
// Sync exists) sends from here. The classic worker alone has no sender: the outbox
// then goes at the next open.
self.addEventListener('sync', (event) => {
  if (event.tag !== 'outbox') return;
  event.waitUntil(syncOutbox());
});

async function syncOutbox() {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const visible = windows.some((w) => w.visibilityState === 'visible');
  if (visible || typeof self.sendOutboxInBackground !== 'function') {
    windows.forEach((w) => w.postMessage({ type: 'send-outbox' }));
    return;
  }
  const summary = await self.sendOutboxInBackground();
  windows.forEach((w) => w.postMessage({ type: 'outbox-changed' }));
  // Not reached or refused for now: a rejected sync is tried again later by the browser.
  if (summary.stopped === 'offline' || summary.stopped === 'server') throw new Error('outbox not sent yet');
}
