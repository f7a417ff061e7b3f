"""The web page served by ``spepred serve`` at ``/``: static files under ``static/`` (plain
HTML, CSS and JavaScript, no build step, nothing from a CDN) and the JSME structure editor,
which :mod:`spepred.web.vendor` unpacks from the npm registry into ``static/vendor/jsme``."""
