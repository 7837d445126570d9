/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * virtio_pci.h - the virtio-over-PCI modern transport (virtio 1.2, section
 * 4.1) for Ferry's own guests.
 *
 * It puts any struct virtio_dev (vhost/virtio_dev.h) on the VM's PCI bus: a
 * 64-bit memory BAR holds the common, ISR, device-specific and notify
 * structures plus the MSI-X table and PBA.  Queue notifications arrive
 * through ioeventfds on the notify addresses and interrupts leave through
 * irqfds on the MSI-X vectors, so neither direction passes through a vCPU
 * thread or this process once the driver is running.  The transport knows
 * devices only through their ops table.
 */
#ifndef FERRY_VMM_VIRTIO_PCI_H
#define FERRY_VMM_VIRTIO_PCI_H

struct vmm_vm;
struct virtio_dev;
struct virtio_pci;

/*
 * Attach @dev to @vm's PCI bus (before vmm_vm_start()).  The transport sets
 * dev->mem to the VM's memory map.  NULL after logging why.
 */
struct virtio_pci *virtio_pci_create(struct vmm_vm *vm, struct virtio_dev *dev, const char *name);
/* Stop the device's queues and leave the bus; the VM must not be running. */
void virtio_pci_destroy(struct virtio_pci *vp);

#endif
