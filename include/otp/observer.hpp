#pragma once

// The observer (target caf_otp::observer): process pages, node figures, restart statistics,
// and the HTTP server that serves them. See docs/observer.md.

#include "otp/observer/node_figures.hpp"
#include "otp/observer/observer.hpp"
#include "otp/observer/process_list.hpp"
#include "otp/observer/restart_stats.hpp"
