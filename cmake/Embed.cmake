# embed_files(<target-source-var> SYMBOL <name> NAMESPACE <ns> HEADER <include> FILES <files…>)
function(embed_files out_var)
  cmake_parse_arguments(E "" "SYMBOL;NAMESPACE;HEADER" "FILES" ${ARGN})
  set(output "${CMAKE_CURRENT_BINARY_DIR}/${E_SYMBOL}_embedded.cpp")
  add_custom_command(
    OUTPUT "${output}"
    COMMAND ${CMAKE_COMMAND} -DOUTPUT=${output} -DSYMBOL=${E_SYMBOL} -DNAMESPACE=${E_NAMESPACE}
            -DHEADER=${E_HEADER} "-DFILES=${E_FILES}" -P ${CMAKE_SOURCE_DIR}/cmake/embed_files.cmake
    DEPENDS ${E_FILES} ${CMAKE_SOURCE_DIR}/cmake/embed_files.cmake
    COMMENT "Embedding ${E_SYMBOL}"
    VERBATIM)
  set(${out_var} "${output}" PARENT_SCOPE)
endfunction()
