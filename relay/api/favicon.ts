// The relay's icon: a small SVG (a broadcast mast with two waves in the
// status page's accent colour), served at /favicon.ico and linked from the
// status page, so a browser's icon request is answered instead of counted
// as a refusal. SVG is text, so it travels like every other document here;
// browsers go by its Content-Type, not the .ico in its name.

export const FAVICON_PATH = '/favicon.ico';
export const FAVICON_CONTENT_TYPE = 'image/svg+xml';
/** It never changes between releases that matter to a browser: a week of caching. */
export const FAVICON_CACHE_CONTROL = 'public, max-age=604800, immutable';

export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">\
<rect width="32" height="32" rx="7" fill="#0a7d5a"/>\
<path d="M16 13v15M12 28h8" stroke="#fff" stroke-width="2.5" stroke-linecap="round"/>\
<circle cx="16" cy="11" r="2.5" fill="#fff"/>\
<path d="M10.5 16.5a7.5 7.5 0 0 1 0-11M21.5 5.5a7.5 7.5 0 0 1 0 11M7 20a12.5 12.5 0 0 1 0-18M25 2a12.5 12.5 0 0 1 0 18" \
fill="none" stroke="#fff" stroke-width="2" stroke-linecap="round"/></svg>
`;
