# Warnings are errors: a warning left today is a bug report nobody reads tomorrow.
function(vkube_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow=local
                         -Wnon-virtual-dtor -Wno-unused-parameter)
  if(VKUBE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

if(VKUBE_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
