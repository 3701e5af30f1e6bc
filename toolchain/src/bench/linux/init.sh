#!/bin/sh
# /init of the bench's Linux guest: the marker, the measurements, then power off.
# The bench reads each line on the serial console; it needs nothing mounted.
# With optios_bench=network on the kernel command line (the kernel hands unknown key=value
# arguments to /init as variables) it serves instead: the virtio-net driver's modules, the
# address QEMU's user network expects, UDP echo on port 7 and busybox httpd on port 80;
# with optios_bench=fsync it times write + fsync on a virtio-blk disk (below).
if [ "$optios_bench" = network ]; then
  for module in failover net_failover virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_net; do
    /bin/busybox insmod /lib/modules/$module.ko || echo "linux-guest: insmod $module failed"
  done
  /bin/busybox ifconfig lo 127.0.0.1 up
  /bin/busybox ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up || echo "linux-guest: no eth0"
  /bin/busybox route add default gw 10.0.2.2
  /bench/udpecho 7 &
  /bin/busybox httpd -f -p 80 -h /www &
  echo "linux-guest: network ready"
  exec /bin/busybox sleep 1000000
fi
# With optios_bench=fsync it measures a durable write instead: the virtio-blk driver's modules,
# then fsyncwriter on the data disk (/dev/vda), with the bytes an OptiOS commit writes.
if [ "$optios_bench" = fsync ]; then
  for module in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_blk; do
    /bin/busybox insmod /lib/modules/$module.ko || echo "linux-guest: insmod $module failed"
  done
  /bin/busybox mount -t devtmpfs devtmpfs /dev || echo "linux-guest: no devtmpfs"
  /bench/fsyncwriter /dev/vda "${optios_commits:-500}" "${optios_bytes:-5120}"
  echo "linux-guest: done"
  exec poweroff -f
fi
/bench/marker
/bench/pingpong 10000
echo "linux-guest: done"
exec poweroff -f
