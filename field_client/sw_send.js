/*
 * The service worker for browsers with Background Sync (Chromium, so Android
 * Chrome), registered as a module (Chrome 91+): the app shell of sw.js plus the
 * sender that its 'sync' handler calls when no window of the app is visible, so
 * the outbox leaves when the signal returns even with the app closed.
 * Build __BUILD_ID__ (filled in by the server: a new app is a new worker).
 */
import './sw.js';
import { sendInBackground } from './js/background_send.js';

self.sendOutboxInBackground = () => sendInBackground();
