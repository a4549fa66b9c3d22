// Package console is cordbank's web console for bank staff and
// transplant-centre coordinators: plain HTML, CSS and JavaScript modules,
// embedded in the binary, served by `cordbank serve` at / on the REST
// listener. It has no build step and makes no request outside the server
// it came from (hospital networks are often closed; the Content Security
// Policy enforces it).
//
// The console is one more client of the public REST API (/v1/...): every
// page calls the API with the user's bearer token, which the user pastes
// once and the browser keeps in sessionStorage for the tab's life, and
// shows the API's errors as the API gives them (field violations next to
// their fields). No endpoint exists only for the console. It learns the
// caller's role from the API itself (see static/js/session.js).
//
// The browser tests (browser_test.go) drive a real headless Chromium
// against a real in-process server (servertest) over a real SQLite file.
package console
