# The dev stack's runtime image: the installed prismctl (bundle, manifest, templates and its pure-JavaScript
# dependencies) on an official Node 20 image. Built by `prismctl dev up` from a tar of the package; no RUN step, so
# the build needs no network, and nothing host-native goes in, so the same image runs on Linux and macOS hosts.
ARG BASE_IMAGE=node:20-bookworm-slim
FROM ${BASE_IMAGE}
COPY . /opt/prismctl
ENV NODE_ENV=production PRISM_CONFIG_DIR=/tmp/prism
USER 1000:1000
ENTRYPOINT ["node", "/opt/prismctl/bin/run.js"]
