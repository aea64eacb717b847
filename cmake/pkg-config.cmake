# pkg-config files for the installed libraries: caf-otp (otp_core), caf-otp-net, caf-otp-dist,
# caf-otp-term and caf-otp-observer.
# The libraries are static by default, so their private dependencies (CAF, Boost.Context,
# libcrypto) are in Libs/Requires, not in the .private fields that only --static reads.
# Included from the top-level CMakeLists.txt after the targets exist.

# -L<dir> -l<name> for a library file found by find_library or a package config.
function(otp_pc_link_flags out)
  set(dirs)
  set(names)
  foreach(file IN LISTS ARGN)
    get_filename_component(dir "${file}" DIRECTORY)
    get_filename_component(name "${file}" NAME)
    string(REGEX REPLACE "^lib(.*)\\.(so|a|dylib)(\\..*)?$" "\\1" name "${name}")
    list(APPEND dirs "-L${dir}")
    list(APPEND names "-l${name}")
  endforeach()
  list(REMOVE_DUPLICATES dirs)
  list(JOIN dirs " " dirs)
  list(JOIN names " " names)
  set(${out} "${dirs} ${names}" PARENT_SCOPE)
endfunction()

# Boost's package config names the library per configuration.
function(otp_pc_imported_location out target)
  foreach(property IN ITEMS IMPORTED_LOCATION_RELEASE IMPORTED_LOCATION_NOCONFIG
                            IMPORTED_LOCATION IMPORTED_LOCATION_DEBUG)
    get_target_property(location ${target} ${property})
    if(location)
      set(${out} "${location}" PARENT_SCOPE)
      return()
    endif()
  endforeach()
  message(FATAL_ERROR "pkg-config: no library file for ${target}")
endfunction()

otp_pc_imported_location(_otp_boost_context Boost::context)
otp_pc_link_flags(OTP_PC_OTP_LIBS "${CAF_core_LIBRARY}" "${_otp_boost_context}")
otp_pc_link_flags(OTP_PC_DIST_LIBS "${CAF_io_LIBRARY}")
set(OTP_PC_CAF_CFLAGS "-I${CAF_INCLUDE_DIR}")

# A relative install dir is relative to ${prefix}; an absolute one stays as it is.
foreach(kind IN ITEMS LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${kind}}")
    set(OTP_PC_${kind} "${CMAKE_INSTALL_${kind}}")
  else()
    set(OTP_PC_${kind} "\${prefix}/${CMAKE_INSTALL_${kind}}")
  endif()
endforeach()

set(OTP_PC_PREFIX "@OTP_PC_PREFIX@")  # left for install time, below
foreach(pc IN ITEMS caf-otp caf-otp-net caf-otp-dist caf-otp-term caf-otp-observer)
  configure_file(${CMAKE_CURRENT_LIST_DIR}/${pc}.pc.in ${CMAKE_CURRENT_BINARY_DIR}/${pc}.pc.in
                 @ONLY)
  # The prefix is the one given to `cmake --install --prefix`, known only at install time.
  install(CODE "
    file(READ \"${CMAKE_CURRENT_BINARY_DIR}/${pc}.pc.in\" _otp_pc)
    string(REPLACE \"@OTP_PC_PREFIX@\" \"\${CMAKE_INSTALL_PREFIX}\" _otp_pc \"\${_otp_pc}\")
    file(WRITE \"${CMAKE_CURRENT_BINARY_DIR}/${pc}.pc\" \"\${_otp_pc}\")")
  install(FILES ${CMAKE_CURRENT_BINARY_DIR}/${pc}.pc
          DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endforeach()
