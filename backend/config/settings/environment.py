"""Where settings come from: the environment, and an optional `.env` at the repository root.

Every variable read in these modules is listed with a comment in `.env.example`.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
REPO_DIR = BASE_DIR.parent

env = environ.Env()
# Real environment variables win over the file.
environ.Env.read_env(REPO_DIR / ".env", overwrite=False)
