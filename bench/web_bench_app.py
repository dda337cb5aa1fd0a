"""The production app (etl.web.wsgi:app) with a folder of saved pages beside it, for web_bench.py.

The benchmark compares each page with the same bytes served as a file by the same gunicorn
workers: `/_static/NAME` answers from the folder that `WEB_BENCH_STATIC` names (Werkzeug's
SharedDataMiddleware), every other address goes to the app. The file is the limit: what
the server, its workers and the loopback can do with no database and no rendering at all.

    gunicorn --workers 4 --pythonpath bench web_bench_app:app
"""

from __future__ import annotations

import os

from werkzeug.middleware.shared_data import SharedDataMiddleware

from etl.web.wsgi import app as site

app = SharedDataMiddleware(site, {"/_static": os.environ["WEB_BENCH_STATIC"]}, cache=False)
