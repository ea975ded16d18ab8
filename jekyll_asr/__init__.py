"""jekyll-asr: transcripts, captions and podcast transcript files for a Jekyll site's audio."""

__version__ = "0.1.0"
