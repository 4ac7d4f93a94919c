"""The quota, as HTTP headers: every send answer carries them."""

from chat.quota_status import QuotaStatus


def rate_limit_headers(quota: QuotaStatus) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(quota.limit),
        "X-RateLimit-Remaining": str(quota.remaining),
        "X-RateLimit-Reset": str(int(quota.resets_at.timestamp())),
    }
