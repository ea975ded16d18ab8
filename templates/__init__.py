"""Templates shipped with jekyll-asr: Jinja2 for the tool, Liquid/HTML/JS/Ruby for a site (`jekyll-asr init`)."""
