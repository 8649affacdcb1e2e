// The page's copy of the SDK: @sentry/browser from npm, bundled by esbuild (11.x ships no browser bundle).
import * as Sentry from "@sentry/browser";

window.Sentry = Sentry;
