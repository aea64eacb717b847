#include "observer/scheduler_load.hpp"

#include <algorithm>

namespace otp::observer::detail {

const scheduler_load::figures& scheduler_load::read(node& n) {
  auto now = std::chrono::steady_clock::now();
  if (!previous_.empty() && now - taken_ < interval_)
    return last_;
  auto times = otp::detail::scheduler_times(n);
  last_.busy.assign(times.size(), 0.0);
  for (std::size_t i = 0; i < times.size(); ++i) {
    // The first sample: since the thread started.
    auto before = i < previous_.size() ? previous_[i] : otp::detail::scheduler_time{};
    auto total = (times[i].total - before.total).count();
    if (total > 0)
      last_.busy[i] = std::clamp(
        static_cast<double>((times[i].busy - before.busy).count()) / static_cast<double>(total),
        0.0, 1.0);
  }
  last_.totals = times;
  previous_ = std::move(times);
  taken_ = now;
  return last_;
}

}  // namespace otp::observer::detail
