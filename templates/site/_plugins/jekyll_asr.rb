# frozen_string_literal: true
#
# jekyll-asr plugin: runs `jekyll-asr build <source>` at the start of every Jekyll build
# (and every regeneration of `jekyll serve`), before Jekyll reads the site, so the
# transcripts, captions and `transcript:` front matter it reads are up to date.
# Unchanged audio is served from jekyll-asr's cache: a rebuild costs about a second.
#
#   JEKYLL_ASR_SKIP=1          build without running jekyll-asr (e.g. CI ran it already)
#   JEKYLL_ASR_COMMAND="..."   the command to run (default: `jekyll-asr` on PATH)
#
# jekyll-asr's exit status: 0 all done; 1 some audio failed (a warning: the site is built
# with the transcripts that exist); anything else (2: bad asr: block or usage), a missing
# command or a crash stops the build. GitHub Pages' own builder runs no plugins: run
# `jekyll-asr build` before `jekyll build` in CI there instead.

require "open3"
require "shellwords"

module JekyllAsr
  # Written by jekyll-asr on every build; the watcher of `jekyll serve` must not see it,
  # or each build would trigger the next.
  STATE_DIR = ".jekyll-asr"

  class BuildError < Jekyll::Errors::FatalException; end

  module_function

  def command
    custom = ENV.fetch("JEKYLL_ASR_COMMAND", "").strip
    custom.empty? ? ["jekyll-asr"] : Shellwords.split(custom)
  end

  def ignore_state_dir(site)
    exclude = site.config["exclude"]
    return unless exclude.is_a?(Array)

    # In place: `jekyll serve` hands the same array to its file watcher.
    exclude << STATE_DIR unless exclude.include?(STATE_DIR)
    site.exclude = exclude
  end

  def build(site)
    if ENV["JEKYLL_ASR_SKIP"] == "1"
      Jekyll.logger.info "jekyll-asr:", "skipped (JEKYLL_ASR_SKIP=1)"
      return
    end
    unless site.config.key?("asr")
      Jekyll.logger.info "jekyll-asr:", "no asr: block in _config.yml; run `jekyll-asr init` to add one"
      return
    end
    argv = command + ["build", site.source]
    Jekyll.logger.info "jekyll-asr:", argv.shelljoin
    status, crashed = run(argv)
    case status.exitstatus
    when 0
      nil
    when 1
      raise BuildError, "jekyll-asr crashed (a bug: please report the traceback above)" if crashed

      Jekyll.logger.warn "jekyll-asr:", "some audio was not transcribed (see above); " \
                                        "building the site with the transcripts that exist"
    else
      raise BuildError, "jekyll-asr: `#{argv.shelljoin}` exited with #{status.exitstatus || status}; see its message " \
                        "above. Fix the asr: block of _config.yml, or set JEKYLL_ASR_SKIP=1 " \
                        "to build without updating transcripts."
    end
  end

  def run(argv)
    crashed = false
    Open3.popen2e(*argv) do |stdin, output, waiter|
      stdin.close
      output.each_line do |line|
        crashed ||= line.start_with?("Traceback (most recent call last)")
        Jekyll.logger.info "jekyll-asr:", line.chomp
      end
      [waiter.value, crashed]
    end
  rescue Errno::ENOENT, Errno::EACCES
    raise BuildError, "jekyll-asr: command `#{argv.first}` not found. Install it " \
                      "(pip install jekyll-asr) and put it on PATH, name it in " \
                      "JEKYLL_ASR_COMMAND, or set JEKYLL_ASR_SKIP=1 to build without transcripts."
  end
end

Jekyll::Hooks.register :site, :after_init do |site|
  JekyllAsr.ignore_state_dir(site)
end

Jekyll::Hooks.register :site, :after_reset do |site|
  JekyllAsr.build(site)
end
