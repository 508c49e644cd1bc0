/**
 * The name a pulpo service (or project) has in Kubernetes. Object names there are DNS labels
 * (lowercase letters, digits, '-', starting with a letter for a Service), while pulpo names may
 * hold '_' and start with a digit: '_' becomes '-', and a leading digit gets an 's-' in front.
 * The interpolated `${services.NAME.host}` of a kubernetes environment is this name, so it is the
 * one place both the config and the generator take it from.
 */
export function kubernetesName(name: string): string {
  const dns = name.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/-+$/, '')
  return /^[a-z]/.test(dns) ? dns : `s-${dns}`
}
