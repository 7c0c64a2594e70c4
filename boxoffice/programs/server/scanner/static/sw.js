// The scanner's service worker: the page's own files from the cache, so it starts with no network
// once it has been loaded. The API is never cached here (the page keeps its data in IndexedDB).
const CACHE = "boxoffice-scanner-v1";
const FILES = ["./", "index.html", "style.css", "app.js", "db.js", "band.js", "decide.js",
               "vendor/noble-ed25519.js", "manifest.webmanifest", "icon.svg"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

// Network first (a new version reaches the phone while online), the cache when the server is away.
self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.pathname.includes("/api/")) return;
  event.respondWith(
    fetch(event.request)
      .then((answer) => {
        if (answer.ok) {
          const copy = answer.clone();
          caches.open(CACHE).then((cache) => cache.put(event.request, copy));
        }
        return answer;
      })
      .catch(() => caches.match(event.request, { ignoreSearch: true })),
  );
});
