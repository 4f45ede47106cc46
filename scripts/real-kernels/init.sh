#!/bin/busybox sh
# The initramfs's /init: collect what the kernel says about its own address
# space into /c (laid out as a vaslayout capture, the kernel's files at their
# own paths), print it on the console as base64 between two marker lines, and
# power off.  Runs under busybox alone, so everything here is plain ash.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
dmesg -n 1

C=/c
mkdir -p $C/proc/sys/kernel $C/proc/1
: > $C/unreadable

grab() { # grab SRC DEST: copy one file, note it when the kernel refuses
    cat "$1" > "$C/$2" 2>/dev/null || { rm -f "$C/$2"; echo "$2" >> $C/unreadable; }
}
for f in iomem kallsyms cpuinfo meminfo zoneinfo vmallocinfo buddyinfo slabinfo \
         cmdline version config.gz; do
    grab /proc/$f proc/$f
done
grab /proc/sys/kernel/osrelease proc/sys/kernel/osrelease
grab /proc/1/maps proc/1/maps
grab /proc/1/smaps proc/1/smaps
dmesg > $C/dmesg
echo 1 > $C/pid

# /proc/kcore: the first 64 KiB hold the ELF header, program headers and notes
dd if=/proc/kcore of=$C/proc/kcore bs=4096 count=16 2>/dev/null || echo proc/kcore >> $C/unreadable

le() { # le FILE OFFSET COUNT: little-endian unsigned number as a (signed 64-bit) shell integer
    h=""
    for b in $(od -An -tx1 -v -j "$2" -N "$3" "$1"); do h="$b$h"; done
    echo $((0x${h:-0}))
}

# Layout variables: find each symbol's PT_LOAD segment, read 8 bytes through kcore.
: > $C/kcore-vars.txt
K=$C/proc/kcore
if [ -s $K ]; then
    if [ "$(le $K 4 1)" = 2 ]; then
        phoff=$(le $K 32 8); phent=$(le $K 54 2); phnum=$(le $K 56 2)
        o_off=8; o_vaddr=16; o_filesz=32; w=8
    else
        phoff=$(le $K 28 4); phent=$(le $K 42 2); phnum=$(le $K 44 2)
        o_off=4; o_vaddr=8; o_filesz=16; w=4
    fi
    i=0; segs=""
    while [ $i -lt $phnum ]; do
        p=$((phoff + i * phent))
        if [ "$(le $K $p 4)" = 1 ]; then
            segs="$segs $(le $K $((p + o_vaddr)) $w):$(le $K $((p + o_off)) $w):$(le $K $((p + o_filesz)) $w)"
        fi
        i=$((i + 1))
    done
    for name in page_offset_base vmalloc_base vmemmap_base phys_base __pgtable_l5_enabled \
                pgdir_shift ptrs_per_p4d memstart_addr kimage_voffset vabits_actual \
                module_alloc_base module_direct_base module_plt_base kimage_vaddr \
                kernel_map satp_mode pgtable_l4_enabled pgtable_l5_enabled \
                high_memory max_low_pfn max_pfn min_low_pfn __FIXADDR_TOP \
                __vmalloc_start_set vmalloc_min _text _end; do
        a=$(grep -m1 " $name\$" /proc/kallsyms | cut -d' ' -f1)
        [ -n "$a" ] || continue
        n=8; [ "$name" = kernel_map ] && n=64
        for s in $segs; do
            v=${s%%:*}; r=${s#*:}; off=${r%%:*}; sz=${r#*:}
            d=$((0x$a - v))
            if [ $d -ge 0 ] && [ $d -lt $sz ]; then
                bytes=$(dd if=/proc/kcore bs=1 skip=$((off + d)) count=$n 2>/dev/null | od -An -tx1 -v | tr -d ' \n')
                echo "$name $a $bytes" >> $C/kcore-vars.txt
                break
            fi
        done
    done
fi

echo "=====VASLAYOUT-CAPTURE-BEGIN====="
tar czf - -C $C . | base64
echo "=====VASLAYOUT-CAPTURE-END====="
sync
poweroff -f
