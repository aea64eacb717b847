#[=======================================================================[.rst:
FindCAF
-------

Finds the C++ Actor Framework (CAF). Needed because Debian's libcaf-dev ships neither a
CMake package config nor a pkg-config file.

Components: ``core`` (always searched and required), ``io``, ``openssl`` (implies ``io``).

Imported targets: ``CAF::core``, ``CAF::io`` (links ``CAF::core``), ``CAF::openssl``
(links ``CAF::io`` and, when found, ``OpenSSL::SSL``).

Result variables: ``CAF_FOUND``, ``CAF_VERSION``, ``CAF_INCLUDE_DIRS``, ``CAF_LIBRARIES``,
``CAF_<component>_FOUND``. Set ``CAF_ROOT`` to search a custom prefix first.
#]=======================================================================]

include(FindPackageHandleStandardArgs)

find_path(CAF_INCLUDE_DIR NAMES caf/all.hpp)

# CAF encodes its version as MMmmpp (1706 == 0.17.6); 0.18+ moved it into build_config.hpp.
if(CAF_INCLUDE_DIR)
  foreach(_caf_header IN ITEMS caf/config.hpp caf/detail/build_config.hpp)
    if(EXISTS "${CAF_INCLUDE_DIR}/${_caf_header}")
      file(STRINGS "${CAF_INCLUDE_DIR}/${_caf_header}" _caf_version_line
           REGEX "^#define CAF_VERSION [0-9]+")
      if(_caf_version_line)
        string(REGEX REPLACE "^#define CAF_VERSION ([0-9]+).*" "\\1" _caf_v "${_caf_version_line}")
        math(EXPR _caf_major "${_caf_v} / 10000")
        math(EXPR _caf_minor "${_caf_v} / 100 % 100")
        math(EXPR _caf_patch "${_caf_v} % 100")
        set(CAF_VERSION "${_caf_major}.${_caf_minor}.${_caf_patch}")
        break()
      endif()
    endif()
  endforeach()
  # Prefer libraries from the prefix the headers came from, so CAF_ROOT picks a matching pair.
  get_filename_component(_caf_prefix "${CAF_INCLUDE_DIR}" DIRECTORY)
endif()

set(_caf_components core ${CAF_FIND_COMPONENTS})
if(openssl IN_LIST _caf_components)
  list(APPEND _caf_components io)
endif()
list(REMOVE_DUPLICATES _caf_components)

foreach(_caf_comp IN LISTS _caf_components)
  set(CAF_${_caf_comp}_FOUND FALSE)
  if(NOT _caf_comp MATCHES "^(core|io|openssl)$")
    continue()
  endif()
  find_library(CAF_${_caf_comp}_LIBRARY NAMES caf_${_caf_comp} HINTS "${_caf_prefix}/lib")
  mark_as_advanced(CAF_${_caf_comp}_LIBRARY)
  if(CAF_${_caf_comp}_LIBRARY)
    set(CAF_${_caf_comp}_FOUND TRUE)
  endif()
endforeach()

find_package_handle_standard_args(CAF
  REQUIRED_VARS CAF_core_LIBRARY CAF_INCLUDE_DIR
  VERSION_VAR CAF_VERSION
  HANDLE_VERSION_RANGE
  HANDLE_COMPONENTS)
mark_as_advanced(CAF_INCLUDE_DIR)

if(NOT CAF_FOUND)
  return()
endif()

set(CAF_INCLUDE_DIRS "${CAF_INCLUDE_DIR}")
set(CAF_LIBRARIES "")
foreach(_caf_comp IN ITEMS openssl io core)
  if(CAF_${_caf_comp}_FOUND)
    list(APPEND CAF_LIBRARIES "${CAF_${_caf_comp}_LIBRARY}")
  endif()
endforeach()

if(NOT TARGET CAF::core)
  find_package(Threads QUIET)
  add_library(CAF::core UNKNOWN IMPORTED)
  # SYSTEM keeps CAF's own warnings from tripping our -Werror when it lives outside /usr/include.
  set_target_properties(CAF::core PROPERTIES
    IMPORTED_LOCATION "${CAF_core_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}"
    INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}")
  if(TARGET Threads::Threads)
    set_property(TARGET CAF::core PROPERTY INTERFACE_LINK_LIBRARIES Threads::Threads)
  endif()
endif()

if(CAF_io_FOUND AND NOT TARGET CAF::io)
  add_library(CAF::io UNKNOWN IMPORTED)
  set_target_properties(CAF::io PROPERTIES
    IMPORTED_LOCATION "${CAF_io_LIBRARY}"
    INTERFACE_LINK_LIBRARIES CAF::core)
endif()

if(CAF_openssl_FOUND AND NOT TARGET CAF::openssl)
  # caf/openssl/session.hpp includes OpenSSL headers, so consumers need them too.
  find_package(OpenSSL QUIET)
  add_library(CAF::openssl UNKNOWN IMPORTED)
  set_target_properties(CAF::openssl PROPERTIES
    IMPORTED_LOCATION "${CAF_openssl_LIBRARY}"
    INTERFACE_LINK_LIBRARIES "CAF::io;$<$<TARGET_EXISTS:OpenSSL::SSL>:OpenSSL::SSL>")
endif()
