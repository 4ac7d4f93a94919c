"""Run the mock OpenAI server: `python -m mockllm --port 9000` (then OPENAI_BASE_URL=http://127.0.0.1:9000/v1)."""

import argparse
import os

import uvicorn

from mockllm.app import MockOpenAI, MockSettings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("MOCKLLM_PORT", "9000")))
    parser.add_argument(
        "--latency",
        type=float,
        default=float(os.environ.get("MOCKLLM_LATENCY", "0")),
        help="seconds before the first byte of every reply",
    )
    parser.add_argument(
        "--chunk-delay",
        type=float,
        default=float(os.environ.get("MOCKLLM_CHUNK_DELAY", "0")),
        help="seconds between streamed chunks",
    )
    args = parser.parse_args()
    app = MockOpenAI(MockSettings(latency=args.latency, chunk_delay=args.chunk_delay))
    print(f"Mock OpenAI server on http://{args.host}:{args.port}/v1", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", backlog=4096, timeout_keep_alive=30)


if __name__ == "__main__":
    main()
