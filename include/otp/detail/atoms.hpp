#pragma once

#include <caf/atom.hpp>

namespace otp::detail {

// CAF atoms hold at most 10 characters from [0-9A-Za-z_ ].
using timer_atom = caf::atom_constant<caf::atom("otp_timer")>;
using idle_atom = caf::atom_constant<caf::atom("otp_idle")>;
using reply_deadline_atom = caf::atom_constant<caf::atom("otp_rdline")>;
// The deadline of a wait that parked the process (a call from a callback): `(atom, at)`.
using wait_deadline_atom = caf::atom_constant<caf::atom("otp_wdline")>;
using sys_atom = caf::atom_constant<caf::atom("otp_sys")>;
using get_state_atom = caf::atom_constant<caf::atom("get_state")>;
using get_status_atom = caf::atom_constant<caf::atom("get_status")>;
using suspend_atom = caf::atom_constant<caf::atom("suspend")>;
using resume_atom = caf::atom_constant<caf::atom("resume")>;
using trace_atom = caf::atom_constant<caf::atom("trace")>;
using stop_atom = caf::atom_constant<caf::atom("stop")>;
// Calls and casts from another node: `(remote_call_atom, T)`, T registered with CAF.
using remote_call_atom = caf::atom_constant<caf::atom("otp_rcall")>;
using remote_cast_atom = caf::atom_constant<caf::atom("otp_rcast")>;

}  // namespace otp::detail
