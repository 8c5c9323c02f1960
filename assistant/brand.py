"""What the product calls itself, in one place: every channel and the speech scripts use these."""

DIGEST_NAME = "Informed i's Weekly Business Insights"
PUBLISHER = "Informed i"
WEB_TAGLINE = (
    "Ask ten years of the week's best business articles. Every answer is quoted and cited; every article can be heard."
)
PODCAST_TAGLINE = "Key takeaways from the week's best business articles, read aloud."
