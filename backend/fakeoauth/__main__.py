"""Run the fake GitHub and Kakao OAuth2 provider: `python -m fakeoauth --port 9100`.

Then GITHUB_URL=http://127.0.0.1:9100/github and KAKAO_AUTH_URL=KAKAO_API_URL=http://127.0.0.1:9100/kakao.
"""

import argparse
import os

import uvicorn

from fakeoauth.app import FakeOAuth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("FAKEOAUTH_PORT", "9100")))
    args = parser.parse_args()
    base = f"http://{args.host}:{args.port}"
    print(f"Fake OAuth provider: GITHUB_URL={base}/github KAKAO_AUTH_URL=KAKAO_API_URL={base}/kakao", flush=True)
    # A stalled request (the *_timeout modes) must not hold up shutdown for its full minute.
    uvicorn.run(FakeOAuth(), host=args.host, port=args.port, log_level="warning", timeout_graceful_shutdown=1)


if __name__ == "__main__":
    main()
