# uda_add_event_messages(<target> <file.mc>): compiles a message file with
# windmc (mingw-w64) or mc (Windows SDK) and links the message table into
# <target> as a resource (windres / rc).
function(uda_add_event_messages target mc_file)
  if(NOT CMAKE_RC_COMPILER)
    message(FATAL_ERROR "uda_add_event_messages: no resource compiler (CMAKE_RC_COMPILER)")
  endif()
  enable_language(RC)
  string(REGEX REPLACE "windres(\\.exe)?$" "windmc" _windmc_guess "${CMAKE_RC_COMPILER}")
  find_program(UDA_MC_COMPILER NAMES ${_windmc_guess} x86_64-w64-mingw32-windmc windmc mc
               REQUIRED)
  get_filename_component(_name ${mc_file} NAME_WE)
  set(_out ${CMAKE_CURRENT_BINARY_DIR}/eventlog-${target})
  add_custom_command(
    OUTPUT ${_out}/${_name}.rc ${_out}/${_name}.h ${_out}/MSG00409.bin
    COMMAND ${CMAKE_COMMAND} -E make_directory ${_out}
    COMMAND ${UDA_MC_COMPILER} -h ${_out} -r ${_out} ${mc_file}
    DEPENDS ${mc_file}
    COMMENT "Message table ${_name}.mc"
    VERBATIM)
  set_source_files_properties(${_out}/${_name}.rc PROPERTIES
    OBJECT_DEPENDS ${_out}/MSG00409.bin
    COMPILE_OPTIONS "-I${_out}")
  target_sources(${target} PRIVATE ${_out}/${_name}.rc)
endfunction()
