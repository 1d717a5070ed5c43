/* serve.h — `planpress serve`: builds the site into a private temporary
 * folder and serves it on 127.0.0.1, rebuilding when the source changes. */
#ifndef PP_SERVE_H
#define PP_SERVE_H

#include "build.h"

/* Serves until SIGINT, SIGTERM or SIGHUP, then removes the temporary folder.
 * `opt` are the input options of build (out and check_only are ignored);
 * `port` is 1..65535, or 0 for any free port. Returns the exit status:
 * 0 after a signal, 3 when the port cannot be bound or the first build
 * fails for a reason other than content errors (2 for a usage error it
 * finds, such as a --content folder that does not exist). A first build
 * with content errors still serves: HTML pages show the errors. */
int serve_run(const build_options *opt, int port);

#endif
