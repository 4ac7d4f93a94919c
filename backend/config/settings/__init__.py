"""Settings, by concern (`base`, `rest`, `accounts`, `chat`) and by environment: `production` (the
default of manage.py, ASGI and WSGI), `local` (`make run`) and `test` (the test suite)."""
