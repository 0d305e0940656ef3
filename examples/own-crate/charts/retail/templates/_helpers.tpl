{{/*
Every resource of a workload is named after it (the ServiceAccount after
serviceAccount.name, the one its cloud identity trusts) and lives in its
namespace. The helpers take (dict "root" $ "name" $name).
*/}}
{{- define "workloads.selectorLabels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{- define "workloads.labels" -}}
{{ include "workloads.selectorLabels" . }}
app.kubernetes.io/part-of: {{ .root.Values.global.project }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
infrasynth.dev/environment: {{ .root.Values.global.environment }}
infrasynth.dev/cloud: {{ .root.Values.global.cloud }}
{{- end -}}

{{/*
What values.schema.json cannot say: the Cloud SQL Auth Proxy's components are
workloads of this release. Called with $.
*/}}
{{- define "workloads.validate" -}}
{{- $proxy := .Values.cloudSqlProxy }}
{{- if $proxy }}
{{- range $proxy.components }}
{{- if not (hasKey $.Values.workloads .) }}
{{- fail (printf "cloudSqlProxy.components names `%s`, which is not one of the workloads (%s)" . (keys $.Values.workloads | sortAlpha | join ", ")) }}
{{- end }}
{{- end }}
{{- end }}
{{- end -}}
