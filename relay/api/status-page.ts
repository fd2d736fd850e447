// GET / : one small page for listeners and operators. Every mount with its
// name, now playing, listeners, bitrate and uptime, and a player, kept up to
// date from /status.json every few seconds. Plain HTML, CSS and a little
// script in one response: no build step, no third-party requests, readable
// on a phone. Text from sources (names, titles) only ever goes in through
// textContent, never as HTML.

export const STATUS_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>relaycast</title>
<link rel="icon" href="/favicon.ico" type="image/svg+xml">
<style>
  :root { color-scheme: light dark; --accent: #0a7d5a; }
  body { font: 16px/1.4 system-ui, sans-serif; margin: 0 auto; max-width: 42rem; padding: 1rem; }
  h1 { font-size: 1.3rem; margin: 0 0 .25rem; }
  .summary { color: GrayText; margin: 0 0 1rem; }
  .mount { border: 1px solid color-mix(in srgb, currentColor 20%, transparent); border-radius: .6rem; padding: .8rem 1rem; margin: 0 0 .8rem; }
  .mount h2 { font-size: 1.1rem; margin: 0; overflow-wrap: anywhere; }
  .path { color: GrayText; font-size: .9rem; }
  .title { margin: .4rem 0; font-weight: 600; overflow-wrap: anywhere; }
  .facts { display: flex; flex-wrap: wrap; gap: .3rem 1rem; font-size: .9rem; margin: 0 0 .6rem; padding: 0; list-style: none; }
  .off { color: #b3261e; }
  button.play { font: inherit; padding: .5rem 1.2rem; border: 0; border-radius: 2rem; background: var(--accent); color: #fff; min-width: 6rem; }
  audio { width: 100%; margin-top: .5rem; }
  .empty { color: GrayText; }
</style>
</head>
<body>
<h1>relaycast</h1>
<p class="summary" id="summary">Loading…</p>
<div id="mounts"></div>
<p class="empty" id="empty" hidden>No streams are on air right now.</p>
<template id="mount-card">
  <section class="mount">
    <h2 class="name"></h2>
    <div class="path"></div>
    <div class="title"></div>
    <ul class="facts">
      <li><span class="listeners">0</span> listening<span class="fallback"></span></li>
      <li class="bitrate"></li>
      <li class="uptime"></li>
      <li class="state"></li>
    </ul>
    <button class="play" type="button">▶ Play</button>
    <audio preload="none" controls></audio>
  </section>
</template>
<script>
(() => {
  const REFRESH_MS = 2000;
  const cards = new Map();
  const $ = (id) => document.getElementById(id);

  function duration(seconds) {
    if (seconds === null) return '';
    const h = Math.floor(seconds / 3600), m = Math.floor(seconds / 60) % 60, s = seconds % 60;
    return h > 0 ? h + ' h ' + m + ' min' : m > 0 ? m + ' min ' + s + ' s' : s + ' s';
  }

  function cardFor(m) {
    let card = cards.get(m.mount);
    if (card) return card;
    const node = $('mount-card').content.firstElementChild.cloneNode(true);
    node.dataset.mount = m.mount;
    const audio = node.querySelector('audio');
    const button = node.querySelector('button.play');
    button.addEventListener('click', () => {
      if (audio.paused) {
        audio.src = m.mount;
        audio.play().catch((err) => { button.textContent = '▶ Play'; console.warn(err); });
      } else {
        audio.pause();
        // A paused live stream would keep downloading: let the connection go.
        audio.removeAttribute('src');
        audio.load();
      }
    });
    audio.addEventListener('play', () => { button.textContent = '■ Stop'; });
    audio.addEventListener('pause', () => { button.textContent = '▶ Play'; });
    card = { node, seen: true };
    cards.set(m.mount, card);
    $('mounts').append(node);
    return card;
  }

  function render(status) {
    for (const card of cards.values()) card.seen = false;
    for (const m of status.mounts) {
      const card = cardFor(m);
      card.seen = true;
      const q = (sel) => card.node.querySelector(sel);
      q('.name').textContent = m.source.name || m.mount;
      q('.path').textContent = m.mount + (m.source.genre ? ' · ' + m.source.genre : '');
      q('.title').textContent = m.title ? 'Now playing: ' + m.title : '';
      q('.listeners').textContent = String(m.listeners);
      // Its own listeners who hear its fallback while its source is away.
      q('.fallback').textContent = m.listenersOnFallback > 0 ? ' (' + m.listenersOnFallback + ' on the fallback)' : '';
      const kbps = m.bitrateKbps ?? (m.measuredBitrateKbps > 0 ? Math.round(m.measuredBitrateKbps) : null);
      q('.bitrate').textContent = kbps ? kbps + ' kbps' : '';
      q('.uptime').textContent = m.streamSeconds === null ? '' : 'on air ' + duration(m.streamSeconds);
      q('.state').textContent = m.source.connected ? '' : 'source offline';
      q('.state').className = 'state' + (m.source.connected ? '' : ' off');
    }
    for (const [name, card] of cards) {
      if (!card.seen) { card.node.remove(); cards.delete(name); }
    }
    $('empty').hidden = status.mounts.length > 0;
    $('summary').textContent = status.server.listeners + ' listening on ' + status.mounts.length +
      (status.mounts.length === 1 ? ' stream' : ' streams') + ' · relaycast ' + status.server.version +
      ' · up ' + duration(status.server.uptimeSeconds);
  }

  async function refresh() {
    try {
      const res = await fetch('/status.json', { cache: 'no-store' });
      if (res.ok) render(await res.json());
    } catch (err) {
      $('summary').textContent = 'Cannot reach the relay; retrying…';
    }
    setTimeout(refresh, REFRESH_MS);
  }
  refresh();
})();
</script>
</body>
</html>
`;
