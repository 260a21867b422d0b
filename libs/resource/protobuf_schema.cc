#include "libs/resource/protobuf_schema.h"

namespace vkube::resource::pb {
namespace {

// Wire layout of the k8s.io/api core/v1 + apps/v1 and apimachinery meta/v1 messages that typed
// clients send. Field numbers are part of the Kubernetes protobuf wire protocol.
constexpr std::string_view kMessages[] = {
    // apimachinery meta/v1
    "ObjectMeta|name=1:string generateName=2:string namespace=3:string selfLink=4:string uid=5:string "
    "resourceVersion=6:string generation=7:int64 creationTimestamp=8:Time deletionTimestamp=9:Time "
    "deletionGracePeriodSeconds=10:int64? labels=11:map<string,string> annotations=12:map<string,string> "
    "ownerReferences=13:OwnerReference* finalizers=14:string*",
    "OwnerReference|kind=1:string name=3:string uid=4:string apiVersion=5:string controller=6:bool? "
    "blockOwnerDeletion=7:bool?",
    "LabelSelector|matchLabels=1:map<string,string> matchExpressions=2:LabelSelectorRequirement*",
    "LabelSelectorRequirement|key=1:string operator=2:string values=3:string*",
    "TypeMeta|apiVersion=1:string kind=2:string",
    // DeleteOptions bodies of typed clients' deletes (Helm purging its release Secrets).
    "DeleteOptions|gracePeriodSeconds=1:int64? preconditions=2:Preconditions orphanDependents=3:bool? "
    "propagationPolicy=4:string dryRun=5:string* ignoreStoreReadErrorWithClusterBreakingPotential=6:bool?",
    "Preconditions|uid=1:string resourceVersion=2:string",
    // core/v1
    "Namespace|metadata=1:ObjectMeta spec=2:NamespaceSpec status=3:Skip",
    "NamespaceSpec|finalizers=1:string*",
    "ConfigMap|metadata=1:ObjectMeta immutable=4:bool? data=2:map<string,string> binaryData=3:map<string,bytes>",
    "Secret|metadata=1:ObjectMeta immutable=5:bool? data=2:map<string,bytes> stringData=4:map<string,string> "
    "type=3:string",
    "ServiceAccount|metadata=1:ObjectMeta secrets=2:ObjectReference* imagePullSecrets=3:LocalObjectReference* "
    "automountServiceAccountToken=4:bool?",
    "ObjectReference|kind=1:string namespace=2:string name=3:string uid=4:string apiVersion=5:string "
    "resourceVersion=6:string fieldPath=7:string",
    "LocalObjectReference|name=1:string",
    "Service|metadata=1:ObjectMeta spec=2:ServiceSpec status=3:Skip",
    "ServiceSpec|ports=1:ServicePort* selector=2:map<string,string> clusterIP=3:string clusterIPs=18:string* "
    "type=4:string externalIPs=5:string* sessionAffinity=7:string loadBalancerIP=8:string "
    "loadBalancerSourceRanges=9:string* externalName=10:string externalTrafficPolicy=11:string "
    "healthCheckNodePort=12:int32 publishNotReadyAddresses=13:bool ipFamilies=19:string* ipFamilyPolicy=17:string "
    "allocateLoadBalancerNodePorts=20:bool? loadBalancerClass=21:string internalTrafficPolicy=22:string "
    "trafficDistribution=23:string",
    "ServicePort|name=1:string protocol=2:string appProtocol=6:string port=3:int32 targetPort=4:IntOrString "
    "nodePort=5:int32",
    "PodTemplateSpec|metadata=1:ObjectMeta spec=2:PodSpec",
    "PodSpec|volumes=1:Volume* initContainers=20:Container* containers=2:Container* restartPolicy=3:string "
    "terminationGracePeriodSeconds=4:int64? activeDeadlineSeconds=5:int64? dnsPolicy=6:string "
    "nodeSelector=7:map<string,string> serviceAccountName=8:string serviceAccount=9:string "
    "automountServiceAccountToken=21:bool? nodeName=10:string hostNetwork=11:bool hostPID=12:bool hostIPC=13:bool "
    "shareProcessNamespace=27:bool? securityContext=14:PodSecurityContext? imagePullSecrets=15:LocalObjectReference* "
    "hostname=16:string subdomain=17:string schedulerName=19:string tolerations=22:Toleration* "
    "priorityClassName=24:string priority=25:int32? enableServiceLinks=30:bool? preemptionPolicy=31:string "
    "setHostnameAsFQDN=35:bool? hostUsers=37:bool?",
    "Container|name=1:string image=2:string command=3:string* args=4:string* workingDir=5:string "
    "ports=6:ContainerPort* envFrom=19:EnvFromSource* env=7:EnvVar* resources=8:ResourceRequirements "
    "restartPolicy=24:string? volumeMounts=9:VolumeMount* livenessProbe=10:Probe? readinessProbe=11:Probe? "
    "startupProbe=22:Probe? terminationMessagePath=13:string terminationMessagePolicy=20:string "
    "imagePullPolicy=14:string securityContext=15:SecurityContext? stdin=16:bool stdinOnce=17:bool tty=18:bool",
    "ContainerPort|name=1:string hostPort=2:int32 containerPort=3:int32 protocol=4:string hostIP=5:string",
    "EnvVar|name=1:string value=2:string valueFrom=3:EnvVarSource?",
    "EnvVarSource|fieldRef=1:ObjectFieldSelector? configMapKeyRef=3:ConfigMapKeySelector? "
    "secretKeyRef=4:SecretKeySelector?",
    "ObjectFieldSelector|apiVersion=1:string fieldPath=2:string",
    "ConfigMapKeySelector|localObjectReference=1:LocalObjectReference^ key=2:string optional=3:bool?",
    "SecretKeySelector|localObjectReference=1:LocalObjectReference^ key=2:string optional=3:bool?",
    "EnvFromSource|prefix=1:string configMapRef=2:ConfigMapEnvSource? secretRef=3:SecretEnvSource?",
    "ConfigMapEnvSource|localObjectReference=1:LocalObjectReference^ optional=2:bool?",
    "SecretEnvSource|localObjectReference=1:LocalObjectReference^ optional=2:bool?",
    "ResourceRequirements|limits=1:map<string,Quantity> requests=2:map<string,Quantity>",
    "VolumeMount|name=1:string readOnly=2:bool mountPath=3:string subPath=4:string mountPropagation=5:string? "
    "subPathExpr=6:string",
    "Volume|name=1:string volumeSource=2:VolumeSource^",
    "VolumeSource|hostPath=1:HostPathVolumeSource? emptyDir=2:EmptyDirVolumeSource? secret=6:SecretVolumeSource? "
    "persistentVolumeClaim=10:PersistentVolumeClaimVolumeSource? configMap=19:ConfigMapVolumeSource?",
    "HostPathVolumeSource|path=1:string type=2:string?",
    "EmptyDirVolumeSource|medium=1:string sizeLimit=2:Quantity?",
    "ConfigMapVolumeSource|localObjectReference=1:LocalObjectReference^ items=2:KeyToPath* defaultMode=3:int32? "
    "optional=4:bool?",
    "SecretVolumeSource|secretName=1:string items=2:KeyToPath* defaultMode=3:int32? optional=4:bool?",
    "KeyToPath|key=1:string path=2:string mode=3:int32?",
    "PersistentVolumeClaimVolumeSource|claimName=1:string readOnly=2:bool",
    "Probe|handler=1:ProbeHandler^ initialDelaySeconds=2:int32 timeoutSeconds=3:int32 periodSeconds=4:int32 "
    "successThreshold=5:int32 failureThreshold=6:int32",
    "ProbeHandler|exec=1:ExecAction? httpGet=2:HTTPGetAction? tcpSocket=3:TCPSocketAction?",
    "HTTPGetAction|path=1:string port=2:IntOrString host=3:string scheme=4:string",
    "TCPSocketAction|port=1:IntOrString host=2:string",
    "ExecAction|command=1:string*",
    "Toleration|key=1:string operator=2:string value=3:string effect=4:string tolerationSeconds=5:int64?",
    "PodSecurityContext|runAsUser=2:int64? runAsGroup=6:int64? runAsNonRoot=3:bool? supplementalGroups=4:int64* "
    "fsGroup=5:int64?",
    "SecurityContext|capabilities=1:Capabilities? privileged=2:bool? runAsUser=4:int64? runAsGroup=8:int64? "
    "runAsNonRoot=5:bool? readOnlyRootFilesystem=6:bool? allowPrivilegeEscalation=7:bool?",
    "Capabilities|add=1:string* drop=2:string*",
    // apps/v1
    "Deployment|metadata=1:ObjectMeta spec=2:DeploymentSpec status=3:Skip",
    "DeploymentSpec|replicas=1:int32? selector=2:LabelSelector? template=3:PodTemplateSpec strategy=4:DeploymentStrategy "
    "minReadySeconds=5:int32 revisionHistoryLimit=6:int32? paused=7:bool progressDeadlineSeconds=9:int32?",
    "DeploymentStrategy|type=1:string rollingUpdate=2:RollingUpdateDeployment?",
    "RollingUpdateDeployment|maxUnavailable=1:IntOrString? maxSurge=2:IntOrString?",
    // core/v1: what `kubectl create quota` and typed pod/template clients send
    "Pod|metadata=1:ObjectMeta spec=2:PodSpec status=3:Skip",
    "ResourceQuota|metadata=1:ObjectMeta spec=2:ResourceQuotaSpec status=3:Skip",
    "ResourceQuotaSpec|hard=1:map<string,Quantity> scopes=2:string* scopeSelector=3:ScopeSelector?",
    "ScopeSelector|matchExpressions=1:ScopedResourceSelectorRequirement*",
    "ScopedResourceSelectorRequirement|scopeName=1:string operator=2:string values=3:string*",
    "TypedLocalObjectReference|apiGroup=1:string? kind=2:string name=3:string",
    // batch/v1
    "Job|metadata=1:ObjectMeta spec=2:JobSpec status=3:Skip",
    "JobSpec|parallelism=1:int32? completions=2:int32? activeDeadlineSeconds=3:int64? selector=4:LabelSelector? "
    "manualSelector=5:bool? template=6:PodTemplateSpec backoffLimit=7:int32? ttlSecondsAfterFinished=8:int32? "
    "completionMode=9:string? suspend=10:bool? podFailurePolicy=11:PodFailurePolicy? backoffLimitPerIndex=12:int32? "
    "maxFailedIndexes=13:int32? podReplacementPolicy=14:string? managedBy=15:string? successPolicy=16:SuccessPolicy?",
    "PodFailurePolicy|rules=1:PodFailurePolicyRule*",
    "PodFailurePolicyRule|action=1:string onExitCodes=2:PodFailurePolicyOnExitCodesRequirement? "
    "onPodConditions=3:PodFailurePolicyOnPodConditionsPattern*",
    "PodFailurePolicyOnExitCodesRequirement|containerName=1:string? operator=2:string values=3:int32*",
    "PodFailurePolicyOnPodConditionsPattern|type=1:string status=2:string",
    "SuccessPolicy|rules=1:SuccessPolicyRule*",
    "SuccessPolicyRule|succeededIndexes=1:string? succeededCount=2:int32?",
    "CronJob|metadata=1:ObjectMeta spec=2:CronJobSpec status=3:Skip",
    "CronJobSpec|schedule=1:string startingDeadlineSeconds=2:int64? concurrencyPolicy=3:string suspend=4:bool? "
    "jobTemplate=5:JobTemplateSpec successfulJobsHistoryLimit=6:int32? failedJobsHistoryLimit=7:int32? "
    "timeZone=8:string?",
    "JobTemplateSpec|metadata=1:ObjectMeta spec=2:JobSpec",
    // rbac.authorization.k8s.io/v1
    "Role|metadata=1:ObjectMeta rules=2:PolicyRule*",
    "ClusterRole|metadata=1:ObjectMeta rules=2:PolicyRule* aggregationRule=3:AggregationRule?",
    "AggregationRule|clusterRoleSelectors=1:LabelSelector*",
    "PolicyRule|verbs=1:string* apiGroups=2:string* resources=3:string* resourceNames=4:string* "
    "nonResourceURLs=5:string*",
    "RoleBinding|metadata=1:ObjectMeta subjects=2:Subject* roleRef=3:RoleRef",
    "ClusterRoleBinding|metadata=1:ObjectMeta subjects=2:Subject* roleRef=3:RoleRef",
    "Subject|kind=1:string apiGroup=2:string name=3:string namespace=4:string",
    "RoleRef|apiGroup=1:string kind=2:string name=3:string",
    // scheduling.k8s.io/v1, policy/v1
    "PriorityClass|metadata=1:ObjectMeta value=2:int32 globalDefault=3:bool description=4:string "
    "preemptionPolicy=5:string?",
    "PodDisruptionBudget|metadata=1:ObjectMeta spec=2:PodDisruptionBudgetSpec status=3:Skip",
    "PodDisruptionBudgetSpec|minAvailable=1:IntOrString? selector=2:LabelSelector? maxUnavailable=3:IntOrString? "
    "unhealthyPodEvictionPolicy=4:string?",
    // networking.k8s.io/v1
    "Ingress|metadata=1:ObjectMeta spec=2:IngressSpec status=3:Skip",
    "IngressSpec|defaultBackend=1:IngressBackend? tls=2:IngressTLS* rules=3:IngressRule* ingressClassName=4:string?",
    "IngressBackend|resource=3:TypedLocalObjectReference? service=4:IngressServiceBackend?",
    "IngressServiceBackend|name=1:string port=2:ServiceBackendPort",
    "ServiceBackendPort|name=1:string number=2:int32",
    "IngressTLS|hosts=1:string* secretName=2:string",
    "IngressRule|host=1:string ingressRuleValue=2:IngressRuleValue^",
    "IngressRuleValue|http=1:HTTPIngressRuleValue?",
    "HTTPIngressRuleValue|paths=1:HTTPIngressPath*",
    "HTTPIngressPath|path=1:string backend=2:IngressBackend pathType=3:string?",
    // authentication/v1 (`kubectl create token`)
    "TokenRequest|metadata=1:ObjectMeta spec=2:TokenRequestSpec status=3:Skip",
    // authorization.k8s.io/v1 and authentication.k8s.io/v1 reviews (kubectl auth can-i / whoami).
    "SelfSubjectAccessReview|metadata=1:ObjectMeta spec=2:SelfSubjectAccessReviewSpec status=3:Skip",
    "SelfSubjectAccessReviewSpec|resourceAttributes=1:ResourceAttributes? nonResourceAttributes=2:NonResourceAttributes?",
    "SubjectAccessReview|metadata=1:ObjectMeta spec=2:SubjectAccessReviewSpec status=3:Skip",
    "LocalSubjectAccessReview|metadata=1:ObjectMeta spec=2:SubjectAccessReviewSpec status=3:Skip",
    "SubjectAccessReviewSpec|resourceAttributes=1:ResourceAttributes? nonResourceAttributes=2:NonResourceAttributes? "
    "user=3:string groups=4:string* extra=5:Skip uid=6:string",
    "ResourceAttributes|namespace=1:string verb=2:string group=3:string version=4:string resource=5:string "
    "subresource=6:string name=7:string fieldSelector=8:Skip labelSelector=9:Skip",
    "NonResourceAttributes|path=1:string verb=2:string",
    "SelfSubjectRulesReview|metadata=1:ObjectMeta spec=2:SelfSubjectRulesReviewSpec status=3:Skip",
    "SelfSubjectRulesReviewSpec|namespace=1:string",
    "SelfSubjectReview|metadata=1:ObjectMeta status=2:Skip",
    "TokenReview|metadata=1:ObjectMeta spec=2:TokenReviewSpec status=3:Skip",
    "TokenReviewSpec|token=1:string audiences=2:string*",
    "TokenRequestSpec|audiences=1:string* expirationSeconds=4:int64? boundObjectRef=3:BoundObjectReference?",
    "BoundObjectReference|kind=1:string apiVersion=2:string name=3:string uid=4:string",
};

// Kinds a request body may carry at the top level (DeleteOptions: the body of typed deletes).
constexpr std::string_view kTopLevel[] = {"Namespace",     "ConfigMap",           "Secret",  "ServiceAccount",
                                          "Service",       "Deployment",          "Pod",     "ResourceQuota",
                                          "Job",           "CronJob",             "Role",    "ClusterRole",
                                          "RoleBinding",   "ClusterRoleBinding",  "Ingress", "PriorityClass",
                                          "PodDisruptionBudget", "DeleteOptions",     "TokenRequest",
                                          // reviews (kubectl auth can-i / whoami send them as protobuf)
                                          "SelfSubjectAccessReview", "SubjectAccessReview", "LocalSubjectAccessReview",
                                          "SelfSubjectRulesReview", "SelfSubjectReview", "TokenReview"};

}  // namespace

std::string_view MessageSpec(std::string_view name) {
  for (std::string_view m : kMessages) {
    auto bar = m.find('|');
    if (m.substr(0, bar) == name) return m.substr(bar + 1);
  }
  return {};
}

bool IsTopLevelKind(std::string_view kind) {
  for (std::string_view k : kTopLevel) {
    if (k == kind) return true;
  }
  return false;
}

}  // namespace vkube::resource::pb
