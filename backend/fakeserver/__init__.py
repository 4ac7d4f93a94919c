"""What the bundled fake servers (mockllm, fakeoauth), plain ASGI apps, are built on."""
