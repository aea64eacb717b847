# Finds Erlang's erl_interface (ei): Debian's erlang-dev installs it under
# /usr/lib/erlang/lib/erl_interface-<version>/ with static libraries only and no pkg-config file.
# Defines ErlInterface_FOUND, ErlInterface_VERSION and the imported target ErlInterface::ei.
# Hint: ErlInterface_ROOT (the erl_interface-<version> folder) or ERLANG_ROOT (/usr/lib/erlang).
set(_ei_roots)
foreach(root IN ITEMS "${ERLANG_ROOT}" "$ENV{ERLANG_ROOT}" /usr/lib/erlang /usr/local/lib/erlang)
  if(root)
    file(GLOB _ei_found LIST_DIRECTORIES true "${root}/lib/erl_interface-*")
    list(APPEND _ei_roots ${_ei_found})
  endif()
endforeach()
list(SORT _ei_roots COMPARE NATURAL ORDER DESCENDING)  # the newest version first

find_path(ErlInterface_INCLUDE_DIR ei.h HINTS ${ErlInterface_ROOT} ${_ei_roots}
          PATH_SUFFIXES include)
find_library(ErlInterface_LIBRARY NAMES libei.a ei HINTS ${ErlInterface_ROOT} ${_ei_roots}
             PATH_SUFFIXES lib)
if(ErlInterface_INCLUDE_DIR MATCHES "erl_interface-([0-9.]+)")
  set(ErlInterface_VERSION "${CMAKE_MATCH_1}")
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(ErlInterface
  REQUIRED_VARS ErlInterface_LIBRARY ErlInterface_INCLUDE_DIR
  VERSION_VAR ErlInterface_VERSION)

if(ErlInterface_FOUND AND NOT TARGET ErlInterface::ei)
  find_package(Threads REQUIRED)
  add_library(ErlInterface::ei STATIC IMPORTED)
  set_target_properties(ErlInterface::ei PROPERTIES
    IMPORTED_LOCATION "${ErlInterface_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${ErlInterface_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES Threads::Threads)
endif()
mark_as_advanced(ErlInterface_INCLUDE_DIR ErlInterface_LIBRARY)
unset(_ei_roots)
unset(_ei_found)
