/** The device layer: the DeviceBackend interface, device tensors and kernels, DeviceSparseLinear, and the backends. */
import { registerDeviceBackend } from './backend';
import { cudaBackend } from './cuda';

registerDeviceBackend(cudaBackend);

export { deviceBackend, registerDeviceBackend } from './backend';
export type {
  DeviceBackend, DeviceBuffer, DeviceCsrStructure, DeviceSddmmArgs, DeviceSpmmArgs, DeviceSpmmNmArgs, DeviceSpmvArgs,
} from './backend';
export { DeviceCSRMatrix, DeviceMatrix, DeviceNMMatrix, deviceMemoryInUse, toDevice } from './tensors';
export type { ToDeviceOptions } from './tensors';
export {
  sddmmDevice, sddmmDeviceAsync, spmmDevice, spmmDeviceAsync, spmmTDevice, spmmTDeviceAsync, spmvDevice, spmvDeviceAsync,
} from './kernels';
export type { DeviceKernelOptions, DeviceSpmmOptions } from './kernels';
export { DeviceSparseLinear } from './sparse-linear';
export type { DeviceParam } from './sparse-linear';
